package rules

import (
	"fmt"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"
)

// options are the compiler options of every expression: the typed
// environment, the expected result, the node bound, no repeat,
// bounded join and replace, and the step counter on predicates.
func options(kind expr.Option) []expr.Option {
	return []expr.Option{
		expr.Env(Env{}),
		kind,
		expr.MaxNodes(MaxNodes),
		expr.DisableBuiltin("repeat"),
		expr.Function("join", boundedJoin,
			new(func([]string, string) string), new(func([]string) string),
			new(func([]any, string) string), new(func([]any) string)),
		expr.Function("replace", boundedReplace,
			new(func(string, string, string) string), new(func(string, string, string, int) string)),
		expr.Patch(stepCounter{}),
	}
}

// configOf is the configuration options make, for the parser.
func configOf(opts []expr.Option) *conf.Config {
	c := conf.CreateNew()
	for _, o := range opts {
		o(c)
	}
	return c
}

// checkLimits refuses what could make an evaluation's work grow faster
// than the event: variables, reduce (its accumulator may double on each
// step) and a predicate inside another.
func checkLimits(tree *parser.Tree) error {
	v := &limitVisitor{}
	ast.Walk(&tree.Node, v)
	if v.at == nil {
		return nil
	}
	fe := (&file.Error{Location: v.at.Location(), Message: v.msg}).Bind(tree.Source)
	return &Error{Line: fe.Line, Column: fe.Column + 1, Msg: v.msg}
}

type limitVisitor struct {
	at  ast.Node
	msg string
}

func (v *limitVisitor) fail(n ast.Node, msg string) {
	if v.at == nil {
		v.at, v.msg = n, msg
	}
}

func (v *limitVisitor) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.VariableDeclaratorNode:
		v.fail(n, "variables (let) are not available in endpoint rules")
	case *ast.BuiltinNode:
		if n.Name == "reduce" {
			v.fail(n, "reduce is not available in endpoint rules")
		}
		for _, a := range n.Arguments {
			if p, ok := a.(*ast.PredicateNode); ok {
				inner := &predicateFinder{}
				ast.Walk(&p.Node, inner)
				if inner.found != nil {
					v.fail(inner.found, "a predicate inside another predicate is not available in endpoint rules")
				}
			}
		}
	}
}

// predicateFinder finds a builtin taking a predicate (all, map, …).
type predicateFinder struct{ found ast.Node }

func (p *predicateFinder) Visit(node *ast.Node) {
	if b, ok := (*node).(*ast.BuiltinNode); ok && p.found == nil {
		for _, a := range b.Arguments {
			if _, ok := a.(*ast.PredicateNode); ok {
				p.found = b
			}
		}
	}
}

// stepCounter makes every step of a predicate count against the
// evaluation's budget: the body B becomes [B][0], whose one-element array
// literal the VM charges to its memory budget; the result and its type are
// B's.
type stepCounter struct{}

func (stepCounter) Visit(node *ast.Node) {
	p, ok := (*node).(*ast.PredicateNode)
	if !ok || p.Node == nil || counted(p.Node) {
		return
	}
	loc := p.Node.Location()
	arr := &ast.ArrayNode{Nodes: []ast.Node{p.Node}}
	idx := &ast.IntegerNode{Value: 0}
	m := &ast.MemberNode{Node: arr, Property: idx}
	for _, n := range []ast.Node{arr, idx, m} {
		n.SetLocation(loc)
	}
	p.Node = m
}

func counted(n ast.Node) bool {
	m, ok := n.(*ast.MemberNode)
	if !ok {
		return false
	}
	a, ok := m.Node.(*ast.ArrayNode)
	i, ok2 := m.Property.(*ast.IntegerNode)
	return ok && ok2 && len(a.Nodes) == 1 && i.Value == 0
}

// boundedJoin is join with a result of at most MaxString bytes.
func boundedJoin(params ...any) (any, error) {
	glue := ""
	if len(params) == 2 {
		g, ok := params[1].(string)
		if !ok {
			return nil, builtinErrorf("join: the separator is %s, not a string", typeName(params[1]))
		}
		glue = g
	}
	var parts []string
	switch a := params[0].(type) {
	case []string:
		parts = a
	case []any:
		parts = make([]string, len(a))
		for i, x := range a {
			s, ok := x.(string)
			if !ok {
				return nil, builtinErrorf("join: element %d is %s, not a string", i, typeName(x))
			}
			parts[i] = s
		}
	default:
		return nil, builtinErrorf("join: %s is not an array of strings", typeName(params[0]))
	}
	n := 0
	if len(parts) > 1 {
		n = len(glue) * (len(parts) - 1)
	}
	for _, p := range parts {
		n += len(p)
		if n > MaxString {
			return nil, builtinErrorf("join: the result would be over %d bytes", MaxString)
		}
	}
	return strings.Join(parts, glue), nil
}

// boundedReplace is replace with a result of at most MaxString bytes.
func boundedReplace(params ...any) (any, error) {
	var str [3]string
	for i := range str {
		s, ok := params[i].(string)
		if !ok {
			return nil, builtinErrorf("replace: argument %d is %s, not a string", i+1, typeName(params[i]))
		}
		str[i] = s
	}
	s, old, repl := str[0], str[1], str[2]
	limit := -1
	if len(params) == 4 {
		l, ok := params[3].(int)
		if !ok {
			return nil, builtinErrorf("replace: the count is %s, not an int", typeName(params[3]))
		}
		limit = l
	}
	count := strings.Count(s, old)
	if limit >= 0 && limit < count {
		count = limit
	}
	if grow := len(repl) - len(old); grow > 0 && len(s)+count*grow > MaxString {
		return nil, builtinErrorf("replace: the result would be over %d bytes", MaxString)
	}
	return strings.Replace(s, old, repl, limit), nil
}

// builtinError is an error of this package's builtins (join, replace):
// worded from types, positions and limits only, never from a value.
type builtinError struct{ msg string }

func (e *builtinError) Error() string { return e.msg }

func builtinErrorf(format string, args ...any) error {
	return &builtinError{msg: fmt.Sprintf(format, args...)}
}
