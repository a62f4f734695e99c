import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { GenerationInput, ProviderAdapter } from '../../src/core/ports/provider-adapter.js';
import { runGeneration } from '../../src/core/services/generation-runner.js';

/** A 1×1 PNG. */
export const PNG = new Uint8Array(
  Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64'),
);

export const TEXT_INPUT: GenerationInput = { prompt: 'a red fox', aspectRatio: '16:9', seed: 7, outputFormat: 'png' };
export const EDIT_INPUT: GenerationInput = {
  ...TEXT_INPUT,
  inputImage: { bytes: PNG, contentType: 'image/png' },
  imagePromptStrength: 0.7,
};

/** msw server for one test file; unhandled requests fail the test (nothing reaches the internet). */
export function useMsw() {
  const server = setupServer();
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
  afterEach(() => server.resetHandlers());
  afterAll(() => server.close());
  return server;
}

/** Runs a generation through the port as the engine does: submit, poll, download. */
export function generate(
  provider: ProviderAdapter,
  input: GenerationInput = TEXT_INPUT,
  options: { timeoutMs?: number; maxPolls?: number; signal?: AbortSignal } = {},
) {
  const signal = options.signal ?? AbortSignal.timeout(options.timeoutMs ?? 10_000);
  return runGeneration({ provider, input, policy: { maxPolls: options.maxPolls ?? 10, pollIntervalMs: 1 }, signal });
}

/** A logger that keeps what it is told. */
export function memoryLogger() {
  const lines: string[] = [];
  return {
    lines,
    warn: (message: string, fields?: Record<string, unknown>) => lines.push(`${message} ${JSON.stringify(fields ?? {})}`),
    error: (message: string, fields?: Record<string, unknown>) => lines.push(`${message} ${JSON.stringify(fields ?? {})}`),
  };
}
