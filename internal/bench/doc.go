// Package bench measures evote's cryptography on this machine for
// `evote bench tally`: ballot encryption, verification one by one and in
// batches, and aggregation, each in nanoseconds and in multiples of one
// circl ristretto255 scalar multiplication measured in the same run. It
// also names the machine (CPUModel). The command prints the results.
package bench
