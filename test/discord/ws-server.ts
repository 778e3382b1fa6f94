// A minimal RFC 6455 WebSocket server endpoint on node:http's 'upgrade': handshake, text frames,
// ping/pong and close. Enough for a fake Discord gateway (JSON text frames, no compression).
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { EventEmitter } from 'node:events';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** One server-side WebSocket connection: emits 'message' (string), 'close' (code). */
export class WsConnection extends EventEmitter {
  private buf = Buffer.alloc(0);
  private fragments: Buffer[] = [];
  closed = false;

  constructor(
    private readonly socket: Duplex,
    readonly url: string,
  ) {
    super();
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('close', () => this.finish(1006));
    socket.on('error', () => this.finish(1006));
  }

  /** Sends a text frame (server frames are not masked). */
  send(text: string): void {
    if (this.closed) return;
    this.frame(0x1, Buffer.from(text, 'utf8'));
  }

  /** Sends a close frame with `code` and ends the socket. */
  close(code = 1000, reason = ''): void {
    if (this.closed) return;
    const body = Buffer.alloc(2 + Buffer.byteLength(reason));
    body.writeUInt16BE(code, 0);
    body.write(reason, 2);
    this.frame(0x8, body);
    this.socket.end();
    this.finish(code);
  }

  /** Drops the TCP connection without a close frame (a network failure). */
  destroy(): void {
    this.socket.destroy();
    this.finish(1006);
  }

  private finish(code: number): void {
    if (this.closed) return;
    this.closed = true;
    this.emit('close', code);
  }

  private frame(opcode: number, payload: Buffer): void {
    const len = payload.length;
    let header: Buffer;
    if (len < 126) header = Buffer.from([0x80 | opcode, len]);
    else if (len < 65536) {
      header = Buffer.alloc(4);
      header[0] = 0x80 | opcode;
      header[1] = 126;
      header.writeUInt16BE(len, 2);
    } else {
      header = Buffer.alloc(10);
      header[0] = 0x80 | opcode;
      header[1] = 127;
      header.writeBigUInt64BE(BigInt(len), 2);
    }
    this.socket.write(Buffer.concat([header, payload]));
  }

  private onData(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    for (;;) {
      if (this.buf.length < 2) return;
      const fin = (this.buf[0] & 0x80) !== 0;
      const opcode = this.buf[0] & 0x0f;
      const masked = (this.buf[1] & 0x80) !== 0;
      let len = this.buf[1] & 0x7f;
      let off = 2;
      if (len === 126) {
        if (this.buf.length < 4) return;
        len = this.buf.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (this.buf.length < 10) return;
        len = Number(this.buf.readBigUInt64BE(2));
        off = 10;
      }
      const maskLen = masked ? 4 : 0;
      if (this.buf.length < off + maskLen + len) return;
      const mask = masked ? this.buf.subarray(off, off + 4) : null;
      const payload = Buffer.from(this.buf.subarray(off + maskLen, off + maskLen + len));
      if (mask) for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i & 3];
      this.buf = this.buf.subarray(off + maskLen + len);
      this.onFrame(fin, opcode, payload);
    }
  }

  private onFrame(fin: boolean, opcode: number, payload: Buffer): void {
    switch (opcode) {
      case 0x0:
      case 0x1:
      case 0x2:
        this.fragments.push(payload);
        if (fin) {
          const whole = Buffer.concat(this.fragments);
          this.fragments = [];
          this.emit('message', whole.toString('utf8'));
        }
        break;
      case 0x8:
        this.close(payload.length >= 2 ? payload.readUInt16BE(0) : 1000);
        break;
      case 0x9:
        this.frame(0xa, payload);
        break;
      default:
        break;
    }
  }
}

/** Completes the WebSocket handshake of an HTTP upgrade request; returns the connection (or null after refusing it). */
export function acceptWebSocket(req: IncomingMessage, socket: Duplex): WsConnection | null {
  const key = req.headers['sec-websocket-key'];
  if (typeof key !== 'string' || req.headers.upgrade?.toLowerCase() !== 'websocket') {
    socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
    return null;
  }
  const accept = createHash('sha1')
    .update(key + GUID)
    .digest('base64');
  socket.write(['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${accept}`, '', ''].join('\r\n'));
  return new WsConnection(socket, req.url ?? '/');
}
