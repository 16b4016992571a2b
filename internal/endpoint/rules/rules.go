package rules

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"

	"github.com/popinbridge/bridge/internal/event"
)

// Bounds of an expression and of one evaluation (see the package doc).
const (
	MaxSource = 4 << 10
	MaxNodes  = 1000
	Budget    = 10_000
	MaxString = 1 << 20
	// MaxBody bounds a transform's JSON body.
	MaxBody = 1 << 20
)

// Error is a problem with an expression: at compile time or when
// evaluated. Line and Column (1-based, in characters) are 0 when the
// problem has no position.
type Error struct {
	Line, Column int
	Msg          string
}

func (e *Error) Error() string {
	if e.Line == 0 {
		return e.Msg
	}
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

// Filter is a compiled filter. Safe for concurrent use.
type Filter struct{ prog *vm.Program }

// Transform is a compiled transform. Safe for concurrent use.
type Transform struct{ prog *vm.Program }

// CompileFilter compiles a filter: an expression of type bool. The error
// is an *Error.
func CompileFilter(src string) (*Filter, error) {
	p, err := compile(src, expr.AsBool())
	if err != nil {
		return nil, err
	}
	return &Filter{p}, nil
}

// CompileTransform compiles a transform: an expression giving a map. The
// error is an *Error.
func CompileTransform(src string) (*Transform, error) {
	p, err := compile(src, expr.AsKind(reflect.Map))
	if err != nil {
		return nil, err
	}
	return &Transform{p}, nil
}

// Match evaluates the filter on ev.
func (f *Filter) Match(ev *event.Event) (bool, error) { return f.MatchEnv(NewEnv(ev)) }

// MatchEnv evaluates the filter on an environment (one NewEnv may serve
// several expressions).
func (f *Filter) MatchEnv(env *Env) (bool, error) {
	out, err := run(f.prog, env)
	if err != nil {
		return false, err
	}
	b, ok := out.(bool)
	if !ok {
		return false, &Error{Msg: fmt.Sprintf("filter: the result is %s, not a bool", typeName(out))}
	}
	return b, nil
}

// Body evaluates the transform on ev and returns the JSON body.
func (t *Transform) Body(ev *event.Event) ([]byte, error) { return t.BodyEnv(NewEnv(ev)) }

// BodyEnv is Body on an environment.
func (t *Transform) BodyEnv(env *Env) ([]byte, error) {
	out, err := run(t.prog, env)
	if err != nil {
		return nil, err
	}
	if out == nil || reflect.TypeOf(out).Kind() != reflect.Map {
		return nil, &Error{Msg: fmt.Sprintf("transform: the result is %s, not a map", typeName(out))}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, &Error{Msg: "transform: the result is not JSON: " + err.Error()}
	}
	if len(b) > MaxBody {
		return nil, &Error{Msg: fmt.Sprintf("transform: the body is %d bytes, over %d", len(b), MaxBody)}
	}
	return b, nil
}

func typeName(v any) string {
	if v == nil {
		return "nil"
	}
	return reflect.TypeOf(v).String()
}

// compile parses, checks the limits, then type-checks and compiles src.
func compile(src string, kind expr.Option) (*vm.Program, error) {
	if strings.TrimSpace(src) == "" {
		return nil, &Error{Msg: "empty expression"}
	}
	if len(src) > MaxSource {
		return nil, &Error{Msg: fmt.Sprintf("longer than %d bytes", MaxSource)}
	}
	opts := options(kind)
	tree, err := parser.ParseWithConfig(src, configOf(opts))
	if err != nil {
		return nil, asError(err)
	}
	if err := checkLimits(tree); err != nil {
		return nil, err
	}
	prog, err := expr.Compile(src, opts...)
	if err != nil {
		return nil, asError(err)
	}
	return prog, nil
}

// run evaluates a program within the budget; it never panics. Its error
// never quotes the event's values (redact).
func run(prog *vm.Program, env *Env) (out any, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, &Error{Msg: redact(fmt.Sprintf("evaluation failed: %v", r), prog.Source().String())}
		}
	}()
	m := vm.VM{MemoryBudget: Budget}
	out, err = m.Run(prog, env)
	if err != nil {
		e := asError(err)
		if !errors.As(err, new(*builtinError)) { // the builtins' own errors hold no values
			e.Msg = redact(e.Msg, prog.Source().String())
		}
		return nil, e
	}
	return out, nil
}

// asError converts expr's errors, which carry a position, to *Error.
func asError(err error) *Error {
	var fe *file.Error
	if errors.As(err, &fe) {
		e := &Error{Msg: fe.Message}
		if fe.Line > 0 {
			e.Line, e.Column = fe.Line, fe.Column+1
		}
		return e
	}
	return &Error{Msg: err.Error()}
}
