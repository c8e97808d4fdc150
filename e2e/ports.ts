/**
 * Ports of the e2e run (the app, its functions server one below, the emulator), apart from
 * `npm run dev`'s so both can run at once.
 */
export const E2E_APP_PORT = Number(process.env.E2E_APP_PORT) || 8877
export const E2E_EMULATOR_PORT = Number(process.env.E2E_EMULATOR_PORT) || 8878
export const APP_URL = `http://localhost:${E2E_APP_PORT}`
export const EMULATOR_URL = `http://127.0.0.1:${E2E_EMULATOR_PORT}`
