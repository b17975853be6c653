/**
 * The node list's keyset cursor: the last row's (label, id), the list's sort key. Opaque to
 * clients; a page after it costs the same wherever it is in the list, unlike an offset.
 */
export interface NodeListPosition {
  label: string;
  id: string;
}

export function encodeNodeListCursor(position: NodeListPosition): string {
  return Buffer.from(JSON.stringify([position.label, position.id])).toString('base64url');
}

/** The position a cursor names, or undefined when it is not one this API returned. */
export function decodeNodeListCursor(cursor: string): NodeListPosition | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Array.isArray(value) || value.length !== 2) return undefined;
    const [label, id] = value as unknown[];
    if (typeof label !== 'string' || typeof id !== 'string' || !/^[0-9a-f-]{36}$/i.test(id)) return undefined;
    return { label, id };
  } catch {
    return undefined;
  }
}
