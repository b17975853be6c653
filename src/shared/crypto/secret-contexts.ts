/**
 * What each sealed secret is bound to (AES-GCM additional data): its column and its row's id. A
 * ciphertext copied into another row, or into the other column, then fails to open. The row id
 * must be known before the insert, so those rows get their uuid from the application.
 */
export const readKeyContext = (nodeChannelId: string): string => `node_channels.read_key_encrypted:${nodeChannelId}`;

export const webhookSecretContext = (subscriptionId: string): string => `webhook_subscriptions.secret_encrypted:${subscriptionId}`;

/** A column of sealed secrets, its table keyed by a uuid `id`: what the key rotation walks through. */
export interface SealedColumn {
  readonly table: string;
  readonly column: string;
  readonly context: (rowId: string) => string;
}

/** Every column that holds secrets sealed by secret-box.ts. A new one must be listed here to be rotated. */
export const SEALED_COLUMNS: readonly SealedColumn[] = [
  { table: 'node_channels', column: 'read_key_encrypted', context: readKeyContext },
  { table: 'webhook_subscriptions', column: 'secret_encrypted', context: webhookSecretContext },
];
