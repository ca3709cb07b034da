// The application's own revision. The end-to-end tests rewrite this file as their "code-only change".
export const revision = 'r1';
