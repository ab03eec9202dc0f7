// Typed calls for sign-in sessions, access tokens, users, groups and experiment permissions.
// URLs are relative to document.baseURI (works under --static-prefix); errors raise ApiError.
import { ApiError } from "../api/client";

export interface User {
  id: number;
  username: string;
  is_admin: boolean;
}

/** A set of experiment ids: all of them, all but some, or only some. */
export type ExperimentSet = { all: true } | { all_but: string[] } | { only: string[] };

export interface Session {
  user: User;
  via: "session" | "password" | "token" | "proxy";
  groups: string[];
  /** The experiments the user holds MANAGE on (absent from older servers: treated as none). */
  manages?: ExperimentSet;
}

export function inSet(set: ExperimentSet | undefined, experimentId: string): boolean {
  if (!set) return false;
  if ("all" in set) return true;
  return "all_but" in set ? !set.all_but.includes(experimentId) : set.only.includes(experimentId);
}

/** Whether the user may see and change permissions of `experimentId` (admins: every experiment). */
export function canManage(session: Session | null, experimentId: string): boolean {
  return !!session && (session.user.is_admin || inSet(session.manages, experimentId));
}

/** Whether the user manages any experiment (then the UI offers the permissions page). */
export function managesAny(session: Session | null): boolean {
  if (!session) return false;
  const set = session.manages;
  return session.user.is_admin || (!!set && ("only" in set ? set.only.length > 0 : true));
}

export interface TokenInfo {
  id: number;
  name: string;
  creation_time: number;
  expiration_time?: number;
}

export interface Group {
  id: number;
  name: string;
  members: string[];
}

export type Level = "READ" | "EDIT" | "MANAGE" | "NO_PERMISSIONS";
export const LEVELS: Level[] = ["READ", "EDIT", "MANAGE", "NO_PERMISSIONS"];

export interface ExperimentPermissions {
  experiment_id: string;
  default_permission: Level;
  users: { username: string; permission: Level }[];
  groups: { group: string; permission: Level }[];
}

const MLFLOW = "ajax-api/2.0/mlflow";
const TRACKLOG = "ajax-api/2.0/tracklog";

async function call<T>(method: "GET" | "POST" | "PATCH" | "DELETE", path: string, body?: Record<string, unknown>): Promise<T> {
  let url = new URL(path, document.baseURI).toString();
  const init: RequestInit = { method, headers: { Accept: "application/json" } };
  if (method === "GET" && body) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(body)) q.append(k, String(v));
    url += `?${q.toString()}`;
  } else if (method !== "GET") {
    init.body = JSON.stringify(body ?? {});
    init.headers = { Accept: "application/json", "Content-Type": "application/json" };
  }
  const res = await fetch(url, init);
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    parsed = {};
  }
  if (!res.ok) {
    throw new ApiError(res.status, String(parsed.error_code ?? res.status), String(parsed.message ?? (text || res.statusText)));
  }
  return parsed as T;
}

export const authApi = {
  /** The signed-in user, or null on a server without --auth (which answers {"auth": false}). */
  session: () => call<Partial<Session> & { auth?: boolean }>("GET", `${TRACKLOG}/session`).then((s) => (s.user ? (s as Session) : null)),
  signOut: () => call<object>("POST", `${TRACKLOG}/session/logout`),

  listTokens: () => call<{ tokens?: TokenInfo[] }>("GET", `${TRACKLOG}/tokens/list`).then((r) => r.tokens ?? []),
  createToken: (name: string, expiresInDays: number | null) =>
    call<{ token: string; token_info: TokenInfo }>("POST", `${TRACKLOG}/tokens/create`, expiresInDays ? { name, expires_in_days: expiresInDays } : { name }),
  revokeToken: (id: number) => call<object>("POST", `${TRACKLOG}/tokens/revoke`, { token_id: id }),

  listUsers: () => call<{ users?: User[] }>("GET", `${MLFLOW}/users/list`).then((r) => r.users ?? []),
  createUser: (username: string, password: string) => call<{ user: User }>("POST", `${MLFLOW}/users/create`, { username, password }),
  setAdmin: (username: string, isAdmin: boolean) => call<object>("PATCH", `${MLFLOW}/users/update-admin`, { username, is_admin: isAdmin }),
  setPassword: (username: string, password: string) => call<object>("PATCH", `${MLFLOW}/users/update-password`, { username, password }),
  deleteUser: (username: string) => call<object>("DELETE", `${MLFLOW}/users/delete`, { username }),

  listGroups: () => call<{ groups?: Group[] }>("GET", `${TRACKLOG}/groups/list`).then((r) => r.groups ?? []),
  createGroup: (name: string) => call<{ group: Group }>("POST", `${TRACKLOG}/groups/create`, { name }),
  deleteGroup: (name: string) => call<object>("DELETE", `${TRACKLOG}/groups/delete`, { name }),
  addMember: (group: string, username: string) => call<object>("POST", `${TRACKLOG}/groups/members/add`, { group, username }),
  removeMember: (group: string, username: string) => call<object>("POST", `${TRACKLOG}/groups/members/remove`, { group, username }),

  permissions: (experimentId: string) => call<ExperimentPermissions>("GET", `${TRACKLOG}/experiments/permissions/list`, { experiment_id: experimentId }),
  grantUser: (experimentId: string, username: string, permission: Level) =>
    call<object>("POST", `ajax-api/3.0/mlflow/users/permissions/grant`, { username, resource_type: "experiment", resource_id: experimentId, permission }),
  revokeUser: (experimentId: string, username: string) =>
    call<object>("DELETE", `${MLFLOW}/experiments/permissions/delete`, { experiment_id: experimentId, username }),
  grantGroup: (experimentId: string, group: string, permission: Level) =>
    call<object>("POST", `${TRACKLOG}/experiments/permissions/groups/grant`, { experiment_id: experimentId, group, permission }),
  revokeGroup: (experimentId: string, group: string) => call<object>("POST", `${TRACKLOG}/experiments/permissions/groups/revoke`, { experiment_id: experimentId, group }),
};
