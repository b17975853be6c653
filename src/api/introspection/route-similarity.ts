/** A route to compare against: method (or ALL) and path in Express syntax (/nodes/:id). */
export interface RouteCandidate {
  method: string;
  path: string;
}

function levenshtein(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

const isParam = (segment: string) => segment.startsWith(':') || segment.startsWith('*');

/** 0 for the same segment (or any segment against a :param), up to 1 for nothing in common. */
function segmentCost(asked: string, known: string): number {
  if (isParam(known)) return 0;
  const a = asked.toLowerCase();
  const k = known.toLowerCase();
  if (a === k) return 0;
  // "ack" for "acknowledge", "node" for "nodes": an abbreviation is closer than its edit distance says.
  const distance = levenshtein(a, k) / Math.max(a.length, k.length);
  if (a.length > 0 && (k.startsWith(a) || a.startsWith(k))) return Math.min(distance, 0.25);
  return distance;
}

const segmentsOf = (path: string) => path.split('/').filter(Boolean);

/** Edit distance over path segments: a missing or extra segment costs 1, a changed one its segmentCost. */
function pathDistance(asked: string[], known: string[]): number {
  let previous = Array.from({ length: known.length + 1 }, (_, j) => j);
  for (let i = 1; i <= asked.length; i++) {
    const current = [i];
    for (let j = 1; j <= known.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + segmentCost(asked[i - 1]!, known[j - 1]!));
    }
    previous = current;
  }
  return previous[known.length]!;
}

/** A wrong method weighs less than most wrong segments: the same path with another method is a good hint. */
const METHOD_MISMATCH = 0.3;

/**
 * The `limit` known routes closest to what was asked, as "METHOD /path", closest first (ties keep
 * the order the routes were mounted in).
 */
export function closestRoutes(method: string, path: string, known: readonly RouteCandidate[], limit = 3): string[] {
  const asked = segmentsOf(path);
  const wanted = method.toUpperCase() === 'HEAD' ? 'GET' : method.toUpperCase();
  return known
    .map((route, index) => ({
      route,
      index,
      score: pathDistance(asked, segmentsOf(route.path)) + (route.method === wanted || route.method === 'ALL' ? 0 : METHOD_MISMATCH),
    }))
    .sort((a, b) => a.score - b.score || a.index - b.index)
    .slice(0, limit)
    .map(({ route }) => `${route.method} ${route.path}`);
}
