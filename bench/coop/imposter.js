// Mountebank 2.9.1 response injection: a stateful stub of coop's debit authorization and credit
// (the work the benchmark compares): the entity's key, the Idempotency-Key (same key → the first
// answer again), the product's balance and holds, the amount's decimals. State lives in
// config.state (the imposter's, kept between calls).
function (config) {
  var state = config.state;
  if (!state.products) {
    state.products = JSON.parse(PRODUCTS_JSON);
    state.keys = {};
    state.seq = 0;
  }
  var req = config.request;
  var headers = req.headers || {};
  function header(name) {
    for (var k in headers) { if (k.toLowerCase() === name) { return headers[k]; } }
    return undefined;
  }
  function answer(status, body) {
    return { statusCode: status, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) };
  }
  function refuse(status, code, field) {
    return answer(status, { error: code, message: code, field: field || null });
  }
  function cents(text) {
    if (typeof text !== 'string' || !/^[0-9]+(\.[0-9]{1,2})?$/.test(text)) { return null; }
    var parts = text.split('.');
    var frac = ((parts[1] || '') + '00').slice(0, 2);
    return parseInt(parts[0], 10) * 100 + parseInt(frac, 10);
  }
  function money(c) {
    var s = String(c % 100); if (s.length < 2) { s = '0' + s; }
    return Math.floor(c / 100) + '.' + s;
  }
  if (header('authorization') !== 'Bearer coop-alianza-key') { return refuse(401, 'unauthorized'); }
  var key = header('idempotency-key');
  if (!key) { return refuse(400, 'idempotency_key_missing', 'Idempotency-Key'); }
  var raw = req.body || '';
  var seen = state.keys[key];
  if (seen) {
    if (seen.raw !== raw) { return refuse(422, 'idempotency_key_reused', 'Idempotency-Key'); }
    return seen.response;
  }
  var body;
  try { body = JSON.parse(raw); } catch (e) { return refuse(422, 'malformed_json'); }
  var amount = cents(body.amount);
  if (amount === null || amount === 0) { return refuse(422, 'invalid_amount', 'amount'); }
  var product = state.products[body.product_id];
  if (!product) { return refuse(404, 'product_not_found', 'product_id'); }
  var now = new Date().toISOString();
  var response;
  state.seq += 1;
  if (req.path.slice(-7) === '/debits') {
    if (product.balance - product.held < amount) {
      response = refuse(422, 'insufficient_funds');
    } else {
      product.held += amount;
      response = answer(201, {
        debit_id: 'D' + state.seq, status: 'authorized', product_id: body.product_id,
        number_masked: product.masked, amount: money(amount), currency: 'COP', reference: body.reference,
        authorized_at: now, expires_at: now, available: money(product.balance - product.held)
      });
    }
  } else {
    product.balance += amount;
    response = answer(201, {
      transaction_id: 'C' + state.seq, kind: 'credit', status: 'applied', product_id: body.product_id,
      number_masked: product.masked, amount: money(amount), currency: 'COP', reference: body.reference,
      running_balance: money(product.balance), applied_at: now
    });
  }
  state.keys[key] = { raw: raw, response: response };
  return response;
}
