package gardencmd

import (
	"context"

	shootcmd "github.com/osc-coco/kubectl-plugins/plugins/shoot/cmd"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"

	"github.com/spf13/cobra"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/garden"
	"github.com/osc-coco/kubectl-plugins/lib/garden/gardenconfig"
)

// gardenAccess holds the flags that choose the garden and the project, shared by all commands,
// and the garden once a command connected (lib/garden: as kubectl coco and teecheck --shoots).
type gardenAccess struct {
	g         *cli.Globals
	flags     garden.Flags
	connected *garden.Conn
}

func (a *gardenAccess) addFlags(root *cobra.Command) {
	f := root.PersistentFlags()
	a.flags.AddFlags(root, f)
	a.flags.AddProjectFlag(root, f, a.g, shootcmd.ProjectUsage)
}

func (a *gardenAccess) location() gardenconfig.Location { return a.flags.Location() }

// connect connects to the garden once per command.
func (a *gardenAccess) connect() (*garden.Conn, error) {
	if a.connected != nil {
		return a.connected, nil
	}
	gd, err := garden.Connect(a.g, &a.flags)
	a.connected = gd
	return gd, err
}

// connectProject connects to the garden and resolves the project: what most commands start with.
func (a *gardenAccess) connectProject(ctx context.Context) (*garden.Conn, garden.Project, error) {
	gd, err := a.connect()
	if err != nil {
		return nil, garden.Project{}, err
	}
	p, err := gd.Project(ctx, a.flags.Project)
	return gd, p, err
}

// connectShoot is the opening of the verbs on one shoot: the garden, the project, the shoot.
func (a *gardenAccess) connectShoot(ctx context.Context, name string) (*garden.Conn, garden.Project, *gardencorev1beta1.Shoot, error) {
	gd, p, err := a.connectProject(ctx)
	if err != nil {
		return nil, p, nil, err
	}
	s, err := gd.Shoot(ctx, p, name)
	return gd, p, s, err
}

// onGarden is a command whose clients for the garden are built in Complete, after the
// command's own Complete, as kubectl's commands build theirs.
type onGarden struct {
	cli.Command
	a *gardenAccess
}

func withGarden(a *gardenAccess, c cli.Command) cli.Command { return onGarden{Command: c, a: a} }

func (o onGarden) Complete(args []string) error {
	if err := o.Command.Complete(args); err != nil {
		return err
	}
	_, err := o.a.connect()
	return err
}
