package election

// BlockView returns the store as the block under way x sees it, with the
// running sums that End will write.
func BlockView(x BlockExec) (ReadStore, error) { return x.(*blockExec).view() }
