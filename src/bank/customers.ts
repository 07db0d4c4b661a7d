// Customers (預金者) and their login.
import type { Db } from '../store/db.ts';
import { PASSWORD_MAX_LENGTH, verifyPasswordOrDecoy } from './passwords.ts';

export interface Customer {
  customerId: string;
  loginId: string;
  /** Full-width name. */
  name: string;
  /** Half-width katakana name. */
  nameKana: string;
}

/** Longer login ids cannot exist; they are refused without a query. */
const LOGIN_ID_MAX_LENGTH = 64;

function toCustomer(row: { customer_id: string; login_id: string; name: string; name_kana: string }): Customer {
  return { customerId: row.customer_id, loginId: row.login_id, name: row.name, nameKana: row.name_kana };
}

export async function customerById(db: Db, customerId: string): Promise<Customer | undefined> {
  const row = await db
    .selectFrom('customers')
    .select(['customer_id', 'login_id', 'name', 'name_kana'])
    .where('customer_id', '=', customerId)
    .executeTakeFirst();
  return row && toCustomer(row);
}

export async function customerByLoginId(db: Db, loginId: string): Promise<Customer | undefined> {
  if (loginId.length === 0 || loginId.length > LOGIN_ID_MAX_LENGTH) return undefined;
  const row = await db
    .selectFrom('customers')
    .select(['customer_id', 'login_id', 'name', 'name_kana'])
    .where('login_id', '=', loginId)
    .executeTakeFirst();
  return row && toCustomer(row);
}

/** The customer when the login id exists and the password matches; undefined otherwise, in about the same time. */
export async function verifyCustomerLogin(db: Db, loginId: string, password: string): Promise<Customer | undefined> {
  if (loginId.length === 0 || loginId.length > LOGIN_ID_MAX_LENGTH || password.length === 0 || password.length > PASSWORD_MAX_LENGTH) {
    return undefined;
  }
  const row = await db
    .selectFrom('customers')
    .select(['customer_id', 'login_id', 'name', 'name_kana', 'password_hash'])
    .where('login_id', '=', loginId)
    .executeTakeFirst();
  return (await verifyPasswordOrDecoy(password, row?.password_hash)) && row ? toCustomer(row) : undefined;
}
