/** The task shape every throughput case uses, so their numbers compare. */
export const BATCHES = Number(process.env.BENCH_BATCHES ?? 1000);
export const BATCH_SIZE = 10;
export const CONCURRENCY = 50;
export const USERS = 10;
/** The offline provider of `BENCH_PROVIDER=offline` (status reads, SSE): zero latency, one `running` poll, 32 px. */
export const OFFLINE_OPTIONS = { size: 32, latencyMs: 0, pollsBeforeReady: 1 } as const;
export const benchPrompt = (batch: number, index: number): string => `bench prompt ${batch}-${index}`;
