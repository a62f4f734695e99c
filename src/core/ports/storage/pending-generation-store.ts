/**
 * A marker of a single generation (text-to-image, image-to-image) that may have been charged and
 * has neither its record nor its refund yet. Written before the charge and deleted once the record
 * or the refund is written, so a marker left behind names a generation whose process died; the
 * engine's sweep settles it (see `recoverGenerations`).
 */
export interface PendingGeneration {
  /** The id the record will have (`record:{username}:{timestamp}`); the marker's key. */
  recordId: string;
  username: string;
  /** The idempotency key of the charge (`charge:{recordId}`), refunded if the record never came. */
  chargeKey: string;
  /** When the generation began (ms, the engine's clock); the sweep only takes markers older than its staleness. */
  startedAt: number;
}

/** Markers of single generations in flight, for crash recovery. */
export interface PendingGenerationStore {
  /** Writes (or overwrites) the marker with that record id: putting the same marker twice leaves one. */
  putPendingGeneration(pending: PendingGeneration): Promise<void>;
  /** Removes only the marker with that record id; removing an absent marker does nothing. */
  deletePendingGeneration(recordId: string): Promise<void>;
  /** Markers with `startedAt` strictly before `startedBefore`, oldest first (ties by record id), at most `limit`. */
  listPendingGenerations(startedBefore: number, limit: number): Promise<PendingGeneration[]>;
}
