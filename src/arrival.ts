import { startArrival } from './auth/arrival'

// The callback page's first script, bundled on its own (scripts/callback-page.ts): it
// sends WeChat's code while the app is still downloading.
startArrival(location, localStorage, navigator.languages, Date.now())
