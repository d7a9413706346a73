package callback

// DialControl exposes the dial-time check, so tests can prove it refuses
// addresses no test hostname resolves to.
var DialControl = dialControl
