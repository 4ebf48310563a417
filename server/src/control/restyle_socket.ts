// The server's socket.io types: the event maps of shared/socket_events.ts (every client event
// is validated against shared/protocol.ts on arrival, in socket_control.ts).
import type { Server, Socket } from 'socket.io';
import type { ClientToServer, ServerToClient } from '../../../shared/socket_events.js';

export type RestyleServer = Server<ClientToServer, ServerToClient>;
export type RestyleSocket = Socket<ClientToServer, ServerToClient>;
