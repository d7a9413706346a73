// Imports simgate's WSDLs with the node soap client (WSDL-generated
// bindings, as a partner's legacy stack would use them) and makes real
// calls. Usage: node client.mjs BASE_URL. Prints one JSON object.
import soap from 'soap';

const base = process.argv[2];
const out = {};
try {
  const auth = await soap.createClientAsync(`${base}/userapi/Authentication?wsdl`);
  out.authOperations = Object.keys(auth.describe().Authentication.AuthenticationPort);
  const [login] = await auth.loginAsync({ username: 'demo-rsp', password: 'demo-rsp-pass' });
  out.token = login.token;

  const svc = await soap.createClientAsync(`${base}/userapi/Services?wsdl`);
  out.serviceOperations = Object.keys(svc.describe().Services.ServicesPort);
  const [act] = await svc.ActivateServiceAsync({ loginToken: login.token, SQ_ID: '581413', sim_number: '498172584' });
  out.activated = act;
  const [detail] = await svc.serviceDetailAsync({ loginToken: login.token, service_id: '581413' });
  out.detail = detail.service;
  try {
    await svc.ActivateServiceAsync({ loginToken: login.token, SQ_ID: '581413', sim_number: '498172584' });
    out.fault = null;
  } catch (err) {
    const f = err.root?.Envelope?.Body?.Fault ?? {};
    out.fault = { faultcode: f.faultcode, faultstring: f.faultstring, reason: f.detail?.fault?.reason };
  }
} catch (err) {
  out.error = String(err && err.stack || err);
}
process.stdout.write(JSON.stringify(out) + '\n');
