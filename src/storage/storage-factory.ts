import type { ServiceFactory } from "../services/service.ts";
import { StorageService } from "./storage-service.ts";

/** Builds the storage service when the agent's roles include `storage`. */
export const storageService: ServiceFactory = (context) => (context.config.roles.includes("storage") ? new StorageService(context) : null);
