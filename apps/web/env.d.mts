export const DEFAULT_API_URL: string;
export function webEnv(source?: NodeJS.ProcessEnv): { apiUrl: URL; host: string; port: number };
