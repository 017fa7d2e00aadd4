// The REST calls tests make: login (token from the `Token` header) and a bearer-token request that parses
// JSON when it can. Shared by the test clients and the load test.

export interface LoggedIn {
  token: string;
  user: {id: string; username: string; roles: string};
}

export interface ApiResponse {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read whatever the route returns
  headers: Headers;
}

/** fetch with the bearer token (none when empty); returns status, headers and parsed JSON (or text). */
export async function api(
  baseURL: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<ApiResponse> {
  const res = await fetch(`${baseURL}${path}`, {
    method,
    headers: {
      ...(token ? {Authorization: `Bearer ${token}`} : {}),
      ...(body !== undefined ? {'Content-Type': 'application/json'} : {}),
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON
  }
  return {status: res.status, body: parsed, headers: res.headers};
}

export async function login(baseURL: string, username: string, password = username): Promise<LoggedIn> {
  const res = await api(baseURL, '', 'POST', '/api/v4/users/login', {login_id: username, password});
  if (res.status !== 200)
    throw new Error(
      `login ${username}: ${res.status} ${typeof res.body === 'string' ? res.body : JSON.stringify(res.body)}`,
    );
  return {token: res.headers.get('token') ?? '', user: res.body as LoggedIn['user']};
}
