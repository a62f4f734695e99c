import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { createClient } from '../../src/client/index.js';
import { ImageGenProvider, useBatch, useCredits, useImageToImage, useRecords, useSubmitBatch } from '../../src/react/index.js';

/** A page using every hook, rendering what each shows before any answer. */
function Page({ batchId }: { batchId: string }) {
  const credits = useCredits();
  const submit = useSubmitBatch();
  const watched = useBatch(batchId);
  const i2i = useImageToImage();
  const records = useRecords();
  return createElement(
    'main',
    null,
    createElement('p', { id: 'credits' }, credits.balance ?? '…'),
    createElement('p', { id: 'submit' }, submit.status),
    createElement('p', { id: 'batch' }, watched.isLoading ? 'loading' : 'idle'),
    createElement('p', { id: 'i2i' }, `${i2i.stage} ${i2i.progress}`),
    createElement('p', { id: 'records' }, records.records.length),
  );
}

describe('imagegen-kit/react on the server', () => {
  it('renders to a string in Node with no window, sending no request', () => {
    expect(typeof window).toBe('undefined');
    expect(typeof document).toBe('undefined');
    const calls: string[] = [];
    const client = createClient({
      baseUrl: 'http://api.example/api',
      fetch: (async (input: RequestInfo | URL) => {
        calls.push(String(input));
        throw new Error('no request may start on the server');
      }) as typeof fetch,
    });
    const html = renderToString(createElement(ImageGenProvider, { client }, createElement(Page, { batchId: 'batch-1' })));
    expect(html).toBe(
      '<main><p id="credits">…</p><p id="submit">idle</p><p id="batch">loading</p><p id="i2i">idle 0</p><p id="records">0</p></main>',
    );
    expect(calls).toEqual([]);
  });
});
