package election

import (
	"encoding/json"
	"fmt"
	"time"
)

// UnmarshalJSON reads what MarshalJSON writes, so that a client reads back
// the manifest of an election's detail (api.ElectionDetail).
func (s *Schedule) UnmarshalJSON(b []byte) error {
	var j scheduleJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	out := Schedule{DKGDealsBy: j.DKGDealsBy}
	var err error
	if out.DKGComplaintWindow, err = time.ParseDuration(j.DKGComplaintWindow); err != nil {
		return fmt.Errorf("%w: dkg_complaint_window: %v", ErrMalformed, err)
	}
	if out.DKGResponseWindow, err = time.ParseDuration(j.DKGResponseWindow); err != nil {
		return fmt.Errorf("%w: dkg_response_window: %v", ErrMalformed, err)
	}
	if j.Open != nil {
		out.Open = *j.Open
	}
	if j.Close != nil {
		out.Close = *j.Close
	}
	*s = out
	return nil
}
