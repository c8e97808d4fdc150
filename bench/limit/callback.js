// The least a callback page can do: one POST, then the nickname. The verifier is the one the
// floor app kept when it sent the browser to WeChat (bench/floor/auth.ts).
const query = new URLSearchParams(location.search)
fetch('/api/auth/wechat', {
  method: 'POST',
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify({
    code: query.get('code'),
    state: query.get('state'),
    verifier: localStorage.getItem('floor-verifier'),
  }),
})
  .then((response) => response.json())
  .then((body) => {
    document.querySelector('[data-testid=nickname]').textContent = body.user.nickname
  })
