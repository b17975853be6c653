/**
 * Walks the node list once, page by page, and returns each page's cursor (null for the first):
 * the load then asks for random pages the way a dashboard pages, by the cursor it was handed.
 */
export async function walkListCursors(apiUrl: string, apiKey: string, pageSize = 50): Promise<Array<string | null>> {
  const cursors: Array<string | null> = [null];
  let cursor: string | null = null;
  for (;;) {
    const url = `${apiUrl}/api/v1/nodes?limit=${pageSize}&count=none${cursor ? `&cursor=${cursor}` : ''}`;
    const res = await fetch(url, { headers: { authorization: `Bearer ${apiKey}` } });
    if (!res.ok) throw new Error(`walking the node list: ${url} answered ${res.status}`);
    const body = (await res.json()) as { page: { nextCursor: string | null } };
    cursor = body.page.nextCursor;
    if (!cursor) return cursors;
    cursors.push(cursor);
  }
}
