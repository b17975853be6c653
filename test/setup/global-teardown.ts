/** Stops only the containers global-setup started; local services are left running. */
export default async function globalTeardown(): Promise<void> {
  const started = (globalThis as { __evaraContainers?: Array<{ stop(): Promise<unknown> }> }).__evaraContainers ?? [];
  await Promise.all(started.map((c) => c.stop()));
}
