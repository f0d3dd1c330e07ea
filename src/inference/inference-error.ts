/**
 * Stable codes of inference failures. Callers branch on these, never on the message:
 * - `inference_unavailable`: onnxruntime cannot be loaded on this agent (not installed, no native
 *   binary for this CPU, a runtime without N-API);
 * - `model_not_found`: no `<sha256>.onnx` in the models dir;
 * - `model_corrupt`: the file's bytes do not hash to its name (damaged or tampered with);
 * - `model_invalid`: the bytes are what was asked for, but onnxruntime refuses them as a model;
 * - `bad_input`: the task's input does not fit (a malformed tensor, or one the model does not
 *   take: unknown or missing name, wrong type, rank or size); the message names the input;
 * - `inference_failed`: onnxruntime failed while running the model.
 */
export const INFERENCE_ERROR_CODES = ["inference_unavailable", "model_not_found", "model_corrupt", "model_invalid", "bad_input", "inference_failed"] as const;

/** One inference failure code. */
export type InferenceErrorCode = (typeof INFERENCE_ERROR_CODES)[number];

/**
 * The error inference code throws for failures callers are meant to handle: a stable `code` (see
 * `INFERENCE_ERROR_CODES`) and, where one exists, the underlying error as `cause`. Programming
 * errors (a bad argument to a function) stay `TypeError`/`RangeError`.
 */
export class InferenceError extends Error {
  readonly code: InferenceErrorCode;
  constructor(code: InferenceErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "InferenceError";
    this.code = code;
  }
}
