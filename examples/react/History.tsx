import { useRecords } from '../../src/react/index.js';

/** The single generations so far, a page at a time. */
export function History() {
  const { records, hasMore, isLoading, loadMore } = useRecords({ limit: 12 });
  return (
    <section aria-labelledby="history-title">
      <h2 id="history-title">Your transforms</h2>
      {records.length === 0 && !isLoading && <p className="muted">None yet.</p>}
      <ul className="records" data-testid="history">
        {records.map((record) => (
          <li key={record.recordId}>
            <img src={record.imageUrl} alt={record.prompt} />
          </li>
        ))}
      </ul>
      {hasMore && (
        <button type="button" onClick={loadMore} disabled={isLoading}>
          More
        </button>
      )}
    </section>
  );
}
