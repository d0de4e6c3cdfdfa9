import { checkExpansion, type BlockKind } from './kind.js';

export const mbconv = {
  name: 'mbconv' as const,
  aliases: ['ir'],
  doc: 'Inverted residual (MBConv, torchvision `MBConv` / MobileNet `InvertedResidual`, timm `InvertedResidual`): 1×1 expand conv in→mid + act (left out when mid = in, e.g. `e1`), k×k depthwise conv with the stride + act, SE (if `se`), 1×1 project conv mid→C without activation.',
  takes: ['e', 'mid', 'expand_from', 'keep_expand', 'se', 'groups', 'group_size', 'dilation', 'expand_split', 'project_split'],
  notTaken: 'an `mbconv` block takes every attribute',
  defaultSkip: 'auto',
  expands: true,
  check: (c) => checkExpansion('mbconv', c),
  layers(b, make) {
    const c = b.config;
    if (b.mid !== b.in || c.keepExpand) make.conv('expand', b.mid, { kernels: [1], act: c.act, split: c.expandSplit });
    make.conv('depthwise', b.mid, { kernels: c.kernels, stride: b.stride, act: c.act, depthwise: true, spatial: true });
    make.se();
    make.conv('project', c.channels, { kernels: [1], act: 'identity', split: c.projectSplit });
  },
  timm(role, roles) {
    // Without an expand conv the block is timm's DepthwiseSeparableConv.
    const expanded = roles.has('expand');
    if (role === 'expand') return ['conv_pw', 'bn1'];
    if (role === 'depthwise') return ['conv_dw', expanded ? 'bn2' : 'bn1'];
    return expanded ? ['conv_pwl', 'bn3'] : ['conv_pw', 'bn2'];
  },
} satisfies BlockKind;
