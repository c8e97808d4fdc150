import { startArrival } from './auth/arrival'

// The first script of callback.html and profile.html, bundled on its own
// (scripts/early-pages.ts): it sends the page's API request while the app is still
// downloading.
startArrival(location, localStorage, navigator.languages, Date.now())
