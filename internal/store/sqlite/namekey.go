package sqlite

import (
	"database/sql/driver"
	"fmt"

	"modernc.org/sqlite"

	"parley/internal/confusables"
)

// keysUnicodeVersion is the version of the confusables data that the keys
// of a database are made with, as of the newest migration that computes
// them again (002). The hub's key for a name (chat.Fold) is its
// confusables.CaseFoldedSkeleton; new data can give a name a new key, and
// then the keys stored must be computed again by a new migration, or
// accounts and rooms would be looked up under keys they are not stored
// under (TestKeysUnicodeVersion).
const keysUnicodeVersion = "17.0.0"

// nameKeyFunc is the SQL function, parley_name_key(text), by which a
// migration computes a key as the hub does: chat.Fold, which is
// confusables.CaseFoldedSkeleton.
const nameKeyFunc = "parley_name_key"

// The driver makes a function registered here available to every
// connection opened after, so it is registered before any store opens.
func init() {
	sqlite.MustRegisterDeterministicScalarFunction(nameKeyFunc, 1, nameKey)
}

func nameKey(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	switch v := args[0].(type) {
	case string:
		return confusables.CaseFoldedSkeleton(v), nil
	case []byte:
		return confusables.CaseFoldedSkeleton(string(v)), nil
	case nil:
		return nil, nil
	default:
		return nil, fmt.Errorf("%s: want text, got %T", nameKeyFunc, v)
	}
}
