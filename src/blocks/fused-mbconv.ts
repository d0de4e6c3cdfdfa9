import { checkExpansion, type BlockKind } from './kind.js';

export const fusedMbconv = {
  name: 'fused_mbconv' as const,
  aliases: ['fused'],
  doc: 'Fused-MBConv (EfficientNetV2, torchvision `FusedMBConv`): with `e1` and no `mid`, one k×k conv in→C with the stride + act (then SE if `se`); otherwise a k×k conv in→mid with the stride + act, SE (if `se`), 1×1 project conv mid→C without activation.',
  takes: ['e', 'mid', 'expand_from', 'se', 'groups', 'group_size', 'dilation', 'project_split'],
  notTaken: 'a fused block has no separate expand conv',
  defaultSkip: 'auto',
  expands: true,
  check: (c) => checkExpansion('fused_mbconv', c),
  layers(b, make) {
    const c = b.config;
    const spatial = { kernels: c.kernels, stride: b.stride, act: c.act, spatial: true };
    if (c.expand === 1 && c.mid === null) {
      // torchvision FusedMBConv with expand ratio 1: one k×k conv with activation.
      make.conv('fused', c.channels, spatial);
      make.se();
      return;
    }
    make.conv('fused', b.mid, spatial);
    make.se();
    make.conv('project', c.channels, { kernels: [1], act: 'identity', split: c.projectSplit });
  },
  // EdgeResidual's expansion, or a collapsed fused block (timm ConvBnAct).
  timm: (role, roles) => (role === 'project' ? ['conv_pwl', 'bn2'] : roles.has('project') ? ['conv_exp', 'bn1'] : ['conv', 'bn1']),
} satisfies BlockKind;
