// The words of the customer's login form, shared by the linking's login (auth/pages.ts) and the customer's own
// pages (customer/pages.ts): one set of credentials, described and refused the same way on both.
export const LOGIN_TEXT = {
  ja: {
    loginId: 'ログインID',
    password: 'パスワード',
    totp: 'ワンタイムパスワード（6桁）',
    login: 'ログイン',
    badLogin: 'ログインIDまたはパスワード、ワンタイムパスワードが正しくありません。',
    backoff: (time: string) => `ログインに続けて失敗しました。${time} を過ぎてからもう一度お試しください。`,
    locked: (time: string) => `ログインに続けて失敗したため、このログインIDは ${time} までロックされています。`,
  },
  en: {
    loginId: 'Login ID',
    password: 'Password',
    totp: 'One-time code (6 digits)',
    login: 'Log in',
    badLogin: 'The login ID, password or one-time code is not correct.',
    backoff: (time: string) => `Several logins in a row failed. Try again after ${time}.`,
    locked: (time: string) => `After repeated failed logins this login ID is locked until ${time}.`,
  },
} as const;
