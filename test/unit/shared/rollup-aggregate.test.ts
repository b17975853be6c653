import { aggregateSamples, type RollupSample } from '../../../src/shared/rollups/rollup-aggregate';

const HOUR = 3_600_000;
const T = Date.UTC(2026, 10, 28, 10);
const sample = (at: number, value: number, entryId: number, channelEpochId = 1): RollupSample => ({ nodeChannelId: 'c', metric: 'm', at, channelEpochId, entryId, value });

describe('rollup aggregate', () => {
  test('when samples fall in two hours of one day, then each hour and the day get count, exact sum, min, max, first and last', () => {
    const buckets = aggregateSamples([sample(T, 0.1, 1), sample(T + 60_000, 0.2, 2), sample(T + HOUR, 1e21, 3), sample(T + HOUR + 1, -0.005, 4)]);

    expect(buckets.map((b) => [b.bucket, b.start, b.count, b.sum, b.min, b.max, b.first.value, b.last.value])).toEqual([
      ['1h', T, 2, '0.3', 0.1, 0.2, 0.1, 0.2],
      ['1d', Date.UTC(2026, 10, 28), 4, '1000000000000000000000.295', -0.005, 1e21, 0.1, -0.005],
      ['1h', T + HOUR, 2, '999999999999999999999.995', -0.005, 1e21, 1e21, -0.005],
    ]);
  });

  test('when the same samples come in another order, then every summary is the same', () => {
    const samples = Array.from({ length: 200 }, (_, i) => sample(T + ((i * 7919) % 5_000) * 1_000, ((i * 31) % 97) / 10, i + 1));
    const reversed = aggregateSamples([...samples].reverse());

    expect(aggregateSamples(samples).sort((a, b) => a.start - b.start)).toEqual(reversed.sort((a, b) => a.start - b.start));
  });

  test('when two readings share a time, then first is the lower (epoch, entry id) and last the higher', () => {
    const [hour] = aggregateSamples([sample(T, 5, 9, 2), sample(T, 3, 4, 2), sample(T, 8, 7, 1)]);

    expect(hour).toMatchObject({ first: { value: 8, channelEpochId: 1, entryId: 7 }, last: { value: 5, channelEpochId: 2, entryId: 9 } });
  });
});
