import { catalogErrors, instanceApiErrors } from '@portcullis/errors';
import { defineRoute } from '@portcullis/routes';
import { z } from 'zod';
import type { AppDeps } from '../../app.js';
import { type AppKit, documented, envelope, errors, ok } from '../../http.js';
import {
  BAD_REQUEST,
  customerNotFound,
  instanceOf,
  listRoute,
  readRoute,
  SERVICE_ROUTE,
  serviceDeclaration,
  serviceRouter,
} from '../common.js';
import {
  archivedCustomerSchema,
  createCustomerBody,
  customerIdSchema,
  customerSchema,
  listCustomersQuery,
  updateCustomerBody,
} from './schemas.js';
import { archiveCustomer, createCustomer, findCustomer, listCustomers, updateCustomer } from './store.js';

/** SPEC §4.5 (published path). */
export const CUSTOMERS_PREFIX = '/customers/api/manage';

const common = serviceDeclaration('Customers');
const exists = catalogErrors(instanceApiErrors, 'CUSTOMER_EXISTS');
const archivedState = documented(instanceApiErrors, 'INVALID_INPUT', 'Customer is archived');

const byIdParams = z.object({
  customerId: customerIdSchema.meta({
    param: {
      id: 'CustomerId',
      description: "Customer id of the caller's instance; any other value is a 404.",
    },
  }),
});

const listCustomersRoute = listRoute({
  tag: 'Customers',
  path: CUSTOMERS_PREFIX,
  operationId: 'listCustomers',
  summary: "The instance's customers, oldest first",
  query: listCustomersQuery,
  item: customerSchema,
  answer: 'One page of customers.',
});

const createCustomerRoute = defineRoute({
  ...common,
  method: 'post',
  path: CUSTOMERS_PREFIX,
  operationId: 'createCustomer',
  summary: 'Create a customer',
  request: { body: createCustomerBody },
  responses: {
    201: ok('The new customer.', customerSchema, { instanceId: true }),
    ...errors([...BAD_REQUEST, ...exists, ...SERVICE_ROUTE]),
  },
});

const getCustomerRoute = readRoute({
  tag: 'Customers',
  path: `${CUSTOMERS_PREFIX}/:customerId`,
  operationId: 'getCustomer',
  summary: 'A customer by id, wallet address, reference key or external id (tried in that order)',
  params: z.object({
    customerId: z
      .string()
      .min(1)
      .max(200)
      .meta({
        param: {
          id: 'CustomerIdentifier',
          description:
            'Here any identifier of the customer: its id, wallet address (any letter case), reference key or external id, tried in that order.',
        },
      }),
  }),
  notFound: customerNotFound,
  item: customerSchema,
  answer: 'The customer (archived ones too, with `archived: true`).',
});

const updateCustomerRoute = defineRoute({
  ...common,
  method: 'put',
  path: `${CUSTOMERS_PREFIX}/:customerId`,
  operationId: 'updateCustomer',
  summary: 'Change some fields of a customer',
  request: { params: byIdParams, body: updateCustomerBody },
  invalidParams: customerNotFound.error,
  responses: {
    200: ok('The updated customer.', customerSchema, { instanceId: true }),
    ...errors([...BAD_REQUEST, archivedState, customerNotFound.documented, ...exists, ...SERVICE_ROUTE]),
  },
});

const archiveCustomerRoute = defineRoute({
  ...common,
  method: 'delete',
  path: `${CUSTOMERS_PREFIX}/:customerId`,
  operationId: 'archiveCustomer',
  summary: 'Archive a customer (a soft delete: hidden from lists unless `includeArchived=true`)',
  request: { params: byIdParams },
  invalidParams: customerNotFound.error,
  responses: {
    200: ok('Archived (again, for an archived customer).', archivedCustomerSchema, { instanceId: true }),
    ...errors([customerNotFound.documented, ...SERVICE_ROUTE]),
  },
});

function refuse(reason: 'exists' | 'not-found' | 'archived'): never {
  if (reason === 'exists') throw instanceApiErrors.error('CUSTOMER_EXISTS');
  if (reason === 'archived')
    throw instanceApiErrors.error('INVALID_INPUT', { message: archivedState.message });
  throw customerNotFound.error();
}

/**
 * Customers (SPEC §4.5) under `/customers/api/manage`, behind the `customers` service gate.
 *
 * @example
 * app.use(guardedRoutes(customerRoutes(kit, deps), { prefixes: [CUSTOMERS_PREFIX] }));
 */
export function customerRoutes(kit: AppKit, deps: AppDeps) {
  const { db, now } = deps;
  const { router, mount } = serviceRouter(kit, 'customers', CUSTOMERS_PREFIX);

  mount(listCustomersRoute, async (ctx, { query }) => {
    const { items, total } = await listCustomers(db, instanceOf(ctx), query);
    return { status: 200, body: envelope(ctx, now, items, total) };
  });

  mount(createCustomerRoute, async (ctx, { body }) => {
    const created = await createCustomer(db, instanceOf(ctx), body, new Date(now()));
    if (!created.ok) refuse(created.reason);
    return { status: 201, body: envelope(ctx, now, created.customer) };
  });

  mount(getCustomerRoute, async (ctx, { params }) => {
    const customer = await findCustomer(db, instanceOf(ctx), params.customerId);
    if (customer === undefined) throw customerNotFound.error();
    return { status: 200, body: envelope(ctx, now, customer) };
  });

  mount(updateCustomerRoute, async (ctx, { params, body }) => {
    const updated = await updateCustomer(db, instanceOf(ctx), params.customerId, body, new Date(now()));
    if (!updated.ok) refuse(updated.reason);
    return { status: 200, body: envelope(ctx, now, updated.customer) };
  });

  mount(archiveCustomerRoute, async (ctx, { params }) => {
    if (!(await archiveCustomer(db, instanceOf(ctx), params.customerId, new Date(now())))) {
      throw customerNotFound.error();
    }
    return { status: 200, body: envelope(ctx, now, { id: params.customerId, archived: true as const }) };
  });

  return router;
}
