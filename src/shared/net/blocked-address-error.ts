import { RANGE_LABELS } from './blocked-ranges';
import type { AddressVerdict } from './address-policy';

/**
 * A connection refused by the address policy before any packet left. Its message names the
 * address, for operators' logs only: what a tenant sees is the class `blocked_address`.
 */
export class BlockedAddressError extends Error {
  readonly code = 'ERR_BLOCKED_ADDRESS';
  constructor(
    readonly hostname: string,
    readonly verdict: Extract<AddressVerdict, { allowed: false }>,
  ) {
    const via = verdict.embedded ? ` (${verdict.embedded.form} ${verdict.embedded.ipv4})` : '';
    super(`${hostname} is ${verdict.address}${via}, ${RANGE_LABELS[verdict.range]}: outbound requests only reach public addresses`);
    this.name = 'BlockedAddressError';
  }
}
