/** Redis key where workers note the time of their latest successful ThingSpeak poll (for /health). */
export const thingspeakLastSuccessKey = (prefix: string) => `${prefix}:health:thingspeak-last-success`;
