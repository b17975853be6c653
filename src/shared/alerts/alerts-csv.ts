import type { AlertRow } from './alerts.repository';

/** A row of the alerts export stream: the alert and its node's label. */
export type AlertExportRow = AlertRow & { node_label: string };

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** Columns of an alerts CSV: the JSON list's fields, snake_case, times as ISO UTC. */
export const ALERT_CSV_COLUMNS = [
  'id',
  'triggered_at',
  'node_id',
  'node_label',
  'community_id',
  'kind',
  'severity',
  'status',
  'title',
  'message',
  'metric',
  'value',
  'threshold',
  'rule_id',
  'condition_key',
  'opened_at',
  'catch_up',
  'notified',
  'acknowledged_at',
  'acknowledged_by',
  'resolved_at',
  'resolved_by',
  'resolve_comment',
  'resolved_value',
] as const;

/** One CSV record, in ALERT_CSV_COLUMNS order (null is an empty cell). */
export function alertCsvRecord(r: AlertExportRow): Array<string | number | boolean | null> {
  return [
    r.id,
    iso(r.triggered_at),
    r.node_id,
    r.node_label,
    r.community_id,
    r.kind,
    r.severity,
    r.status,
    r.title,
    r.message,
    r.metric,
    r.value,
    r.threshold,
    r.rule_id,
    r.condition_key,
    iso(r.opened_at),
    r.catch_up,
    r.notified,
    iso(r.acknowledged_at),
    r.acknowledged_by,
    iso(r.resolved_at),
    r.resolved_by,
    r.resolve_comment,
    r.resolved_value,
  ];
}
