import type { AgentConfig } from "../config/agent-config.ts";
import type { ControlHandler } from "../control/control-server.ts";
import type { Identity } from "../identity/identity.ts";
import type { Logger } from "../log/logger.ts";
import type { MeshNode } from "../mesh/mesh-node.ts";
import type { Runtime } from "../runtime/runtime.ts";
import type { Job, JobResult } from "../tasks/executor.ts";
import type { TaskService } from "../tasks/task-service.ts";

/**
 * A task kind a service runs on the agent's main thread (it needs the service's state: an index,
 * the blob store, the mesh). Placed, retried and journaled like any kind; an error whose `code` is
 * one of `KIND_ERROR_CODES` fails the job with that code, any other throw is `task_error`.
 */
export type ServiceKind = (input: unknown, params: Record<string, unknown>) => Promise<unknown>;

/** What a service is given when the agent builds it. */
export interface ServiceContext {
  runtime: Runtime;
  config: AgentConfig;
  identity: Identity;
  node: MeshNode;
  log: Logger;
  /**
   * Runs a job on this agent's own executor (worker-thread kinds and every service's kinds),
   * bypassing the queue and placement; `unknown_kind` when this agent does not run `job.kind`.
   * Usable once the agent has started.
   */
  runLocal: (job: Job) => Promise<JobResult>;
  /** The agent's task service (coordinator and worker), once the agent has started. */
  tasks: () => TaskService;
  /** Another service of this agent by name, or null (services start in list order). */
  service: <T extends AgentService>(name: string) => T | null;
}

/**
 * One of the agent's optional parts beside the mesh and tasks (vector search, blob storage,
 * sensor pipelines). The agent builds each from its factory in `src/services/registry.ts`, wires
 * its kinds into the executor, its commands into the control socket and its caps into presence,
 * starts them after the mesh node exists (before it connects) and stops them before the node.
 */
export interface AgentService {
  /** Short lower-case name: its key in status and presence caps. */
  readonly name: string;
  /** Task kinds this service runs on the main thread. */
  readonly kinds?: Readonly<Record<string, ServiceKind>>;
  /** Control-socket commands it adds (names must not clash with the agent's own). */
  readonly control?: Readonly<Record<string, ControlHandler>>;
  /** Advertised in presence under `caps.<name>`; plain CBOR-encodable data. */
  caps?(): unknown;
  /** Shown in `agent status --json` under `services.<name>`. */
  status?(): unknown;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Builds a service for this agent, or returns null when the agent's roles or config leave it out. */
export type ServiceFactory = (context: ServiceContext) => AgentService | null;
