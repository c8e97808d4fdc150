import { Server } from 'node:net'
import { BlobsServer } from '@netlify/blobs/server'

/**
 * A local Netlify Blobs server in its own process, as Netlify Blobs is a service apart from
 * the function: its work does not land on the event loop being measured. Prints its port.
 * Usage: tsx bench/blobs-server.ts DIRECTORY TOKEN
 */
const [directory, token] = process.argv.slice(2)
if (!directory || !token) throw new Error('usage: blobs-server.ts DIRECTORY TOKEN')

// The server has no host option and would listen on every interface; this bench's servers
// stay on loopback.
const listen = Server.prototype.listen
Server.prototype.listen = function (this: Server, ...args: unknown[]) {
  const [port, ...rest] = args
  const withHost = typeof port === 'number' ? [port, '127.0.0.1', ...rest] : args
  return (listen as (...a: unknown[]) => Server).apply(this, withHost)
} as typeof listen

const server = new BlobsServer({ directory, token })
const { port } = await server.start()
console.log(JSON.stringify({ port }))
process.once('SIGTERM', () => void server.stop().then(() => process.exit(0)))
