// A layer-4 balancer for tests: it forwards TCP connections, untouched, to the node the test chooses,
// as a TCP load balancer in front of several bank nodes would. TLS (and mutual TLS) stays end to end
// between the client and the node. Each new connection goes to the node chosen at the time it
// opens; an open connection stays with its node, as a real balancer's does.
import { connect, createServer, type Server, type Socket } from 'node:net';

export class TcpBalancer<Node extends string> {
  private target: Node;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly backends: Record<Node, number>,
    initial: Node,
  ) {
    this.target = initial;
    server.on('connection', (client) => this.forward(client));
  }

  /** Listens on `port` (127.0.0.1) and forwards to the backend ports by node name. */
  static async start<Node extends string>(port: number, backends: Record<Node, number>, initial: Node): Promise<TcpBalancer<Node>> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    return new TcpBalancer(server, port, backends, initial);
  }

  /** New connections go to `node` from now on. */
  sendTo(node: Node): void {
    this.target = node;
  }

  /** Cuts every open connection, as a balancer taking a node out would; clients reconnect to the current target. */
  dropConnections(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  async close(): Promise<void> {
    this.dropConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private forward(client: Socket): void {
    const upstream = connect(this.backends[this.target], '127.0.0.1');
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    }
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.pipe(upstream).pipe(client);
  }
}
