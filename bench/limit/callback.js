// The least a callback page can do: one POST with code and state, then the nickname.
const query = new URLSearchParams(location.search)
fetch('/api/auth/wechat', {
  method: 'POST',
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify({ code: query.get('code'), state: query.get('state') }),
})
  .then((response) => response.json())
  .then((body) => {
    document.querySelector('[data-testid=nickname]').textContent = body.user.nickname
  })
