import { startArrival } from './auth/arrival'
import { drawProfileHead, leadsToProfile } from './auth/early-profile'
import { preferredLanguages } from './locales/detect'

// The callback page's first script, bundled on its own (scripts/callback-page.ts): it
// sends WeChat's code while the app is still downloading, and on a slow link shows whom
// the answer signed in before the app has arrived.
const languages = preferredLanguages(navigator.userAgent, navigator.languages)
const found = startArrival(location, localStorage, languages, Date.now())
if (found?.outcome && found.pending && leadsToProfile(found.pending.returnTo)) {
  void found.outcome.then((outcome) => {
    if (outcome.ok) drawProfileHead(document.getElementById('app'), outcome.user)
  })
}
