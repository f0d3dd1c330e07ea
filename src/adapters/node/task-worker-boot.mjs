// Starts a task worker thread from source: registers tsx in this thread (a worker does not inherit
// the loader hooks of the thread that made it), then loads the TypeScript worker body.
import { register } from "tsx/esm/api";

register();
const { runTaskWorker } = await import("./task-worker.ts");
runTaskWorker();
