package election_test

import (
	"strconv"
	"strings"

	"github.com/evote/evote/election"
)

// validatorKey is the consensus key of the validator named name: "@bad"
// names a byte string that is not a valid Ed25519 key.
func validatorKey(name string) election.PublicKey {
	if name == "@bad" {
		var k election.PublicKey
		copy(k[:], election.SmallOrderKeys()[3])
		return k
	}
	return actorKey("validator/" + name).Public()
}

// cmdValidators writes the genesis validators into the state.
func (r *runner) cmdValidators(args []string) {
	var set []election.Validator
	for _, a := range args {
		name, p, ok := strings.Cut(a, ":")
		n, err := strconv.ParseUint(p, 10, 64)
		if !ok || err != nil {
			r.fatalf("validators: %q is not NAME:POWER", a)
		}
		set = append(set, election.Validator{Key: validatorKey(name), Power: n})
	}
	if err := r.machine().InitValidators(r.st, set); err != nil {
		r.fatalf("validators: %v", err)
	}
}

// validatorTx builds "ACTOR validator NAME POWER".
func (r *runner) validatorTx(tl txLine, chainID string, key *election.PrivateKey) ([]byte, error) {
	if len(tl.args) != 1 {
		r.fatalf("validator: want NAME POWER")
	}
	n, err := strconv.ParseUint(tl.args[0], 10, 64)
	if err != nil {
		r.fatalf("validator: power %q", tl.args[0])
	}
	return election.NewValidatorUpdateTx(chainID, validatorKey(tl.election), n, key)
}

// outputValidatorUpdates outputs the validator updates the block under way
// returned so far and the set the state holds.
func (r *runner) outputValidatorUpdates() {
	var ups []string
	for _, v := range r.blk.(election.ValidatorUpdater).ValidatorUpdates() {
		ups = append(ups, v.Key.String()[:16]+"="+strconv.FormatUint(v.Power, 10))
	}
	r.output("updates %s", strings.Join(ups, " "))
	set, err := election.QueryValidators(r.view())
	if err != nil {
		r.fatalf("validators: %v", err)
	}
	var vs []string
	for _, v := range set {
		vs = append(vs, v.Key.String()[:16]+"="+strconv.FormatUint(v.Power, 10))
	}
	r.output("set %s", strings.Join(vs, " "))
}
