import type { PendingGeneration, PendingGenerationStore } from '../../../core/ports/storage-adapter.js';

/** Markers of single generations in flight, by record id (few: one per running generation). */
export function memoryPendingGenerations(): PendingGenerationStore {
  const pendingGenerations = new Map<string, PendingGeneration>();
  return {
    async putPendingGeneration(pending) {
      pendingGenerations.set(pending.recordId, { ...pending });
    },
    async deletePendingGeneration(recordId) {
      pendingGenerations.delete(recordId);
    },
    async listPendingGenerations(startedBefore, limit) {
      return [...pendingGenerations.values()]
        .filter((p) => p.startedAt < startedBefore)
        .sort((a, b) => a.startedAt - b.startedAt || (a.recordId < b.recordId ? -1 : a.recordId > b.recordId ? 1 : 0))
        .slice(0, Math.max(0, Math.floor(limit)))
        .map((p) => ({ ...p }));
    },
  };
}
