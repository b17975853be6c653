/**
 * The node enums, owned here. The `nodes` CHECK constraints hold their own frozen copies (see the
 * core-tables migration); test/integration/db/domain-enums.test.ts fails when the two drift apart.
 */

/** What a node is physically: a tank, a well, a pump house or a flow meter. */
export const NODE_CATEGORIES = ['OHT', 'Sump', 'Borewell', 'GovtBorewell', 'PumpHouse', 'FlowMeter'] as const;

/** Which derivation turns a node's readings into levels, volumes, flows or depths. */
export const ANALYTICS_TYPES = ['EvaraTank', 'EvaraDeep', 'EvaraFlow'] as const;

/** A node's stored status: provisioning until its first reading, then Online, Offline or Alert from its data and alerts; Maintenance by hand. */
export const NODE_STATUSES = ['provisioning', 'Online', 'Offline', 'Alert', 'Maintenance'] as const;
