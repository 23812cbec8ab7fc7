package decoder

// Flatten is flatten for the external tests (package decoder_test).
var Flatten = flatten
