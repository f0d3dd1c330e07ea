import type { ServiceFactory } from "./service.ts";
import { vectorService } from "../vectors/vector-service.ts";
import { storageService } from "../storage/storage-factory.ts";
import { pipelineService } from "../pipelines/pipeline-service.ts";

/**
 * The agent's services, in start order (a later service may use an earlier one through
 * `context.service(name)`). Each factory decides from the agent's roles and config whether it runs.
 */
export const SERVICES: readonly ServiceFactory[] = [vectorService, storageService, pipelineService];
