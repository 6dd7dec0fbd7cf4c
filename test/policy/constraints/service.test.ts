import { describe, test } from 'node:test';
import { allows, denies, fakeLookup } from './helpers.js';

function service(containerSpec: Record<string, unknown>, rest: Record<string, unknown> = {}, taskTemplate: Record<string, unknown> = {}) {
  return { op: 'ServiceCreate', body: { Name: 'web', TaskTemplate: { ContainerSpec: { Image: 'nginx', ...containerSpec }, ...taskTemplate }, ...rest } };
}

describe('ServiceCreate / ServiceUpdate', () => {
  test('a plain service passes', async () => {
    await allows(service({ Mounts: [{ Type: 'volume', Source: 'data', Target: '/data' }] }, { Mode: { Replicated: { Replicas: 1 } } }, { Resources: { Limits: { MemoryBytes: 1024 ** 3 } } }));
    await allows({ ...service({}), op: 'ServiceUpdate' });
  });
  test('capabilities, sysctls and mounts get the container checks', async () => {
    await denies(service({ CapabilityAdd: ['CAP_SYS_ADMIN'] }), 'PC_DENIED_CAP_ADD', 'TaskTemplate.ContainerSpec.CapabilityAdd contains "CAP_SYS_ADMIN"');
    await denies(service({ Sysctls: { 'kernel.domainname': 'x' } }), 'PC_DENIED_SYSCTL', 'TaskTemplate.ContainerSpec.Sysctls');
    await denies(service({ Mounts: [{ Type: 'bind', Source: '/', Target: '/host' }] }), 'PC_DENIED_BIND_MOUNT', 'TaskTemplate.ContainerSpec.Mounts[0].Source');
    await denies({ ...service({ Mounts: [{ Type: 'bind', Source: '/etc', Target: '/host', ReadOnly: true }] }), op: 'ServiceUpdate' }, 'PC_DENIED_BIND_MOUNT');
  });
  test('privileges that weaken confinement', async () => {
    await denies(service({ Privileges: { SELinuxContext: { Disable: true } } }), 'PC_DENIED_SECURITY_OPT', 'Privileges.SELinuxContext.Disable is true');
    await denies(service({ Privileges: { Seccomp: { Mode: 'unconfined' } } }), 'PC_DENIED_SECURITY_OPT', 'Seccomp.Mode is "unconfined"');
    await denies(service({ Privileges: { Seccomp: { Mode: 'custom', Profile: 'e30=' } } }), 'PC_DENIED_SECURITY_OPT', 'Seccomp.Mode is "custom"');
    await denies(service({ Privileges: { AppArmor: { Mode: 'disabled' } } }), 'PC_DENIED_SECURITY_OPT', 'AppArmor.Mode is "disabled"');
    await allows(service({ Privileges: { NoNewPrivileges: true, Seccomp: { Mode: 'default' }, AppArmor: { Mode: 'default' } } }));
  });
  test('plugins, host networks, published ports, log drivers and limits', async () => {
    await denies(service({}, {}, { PluginSpec: { Name: 'x', Remote: 'evil/plugin' } }), 'PC_DENIED_RUNTIME', 'TaskTemplate.PluginSpec is set');
    await denies(service({}, {}, { Networks: [{ Target: 'host' }] }), 'PC_DENIED_NAMESPACE', 'TaskTemplate.Networks[0].Target is "host"');
    const lookup = fakeLookup({ '/networks/overlay1': { status: 200, body: { Driver: 'overlay' } } });
    await allows({ ...service({}, {}, { Networks: [{ Target: 'overlay1' }] }), lookup });
    await denies(service({}, { EndpointSpec: { Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080 }] } }), 'PC_DENIED_PORT_BINDING', 'EndpointSpec.Ports[0] publishes a port on all interfaces');
    await allows({ ...service({}, { EndpointSpec: { Ports: [{ TargetPort: 80, PublishedPort: 8080 }] } }), constraints: { portBindings: { hostIps: ['0.0.0.0'] } } });
    await denies(service({}, {}, { LogDriver: { Name: 'gelf' } }), 'PC_DENIED_LOG_DRIVER', 'TaskTemplate.LogDriver.Name is "gelf"');
    await denies({ ...service({}, {}, { Resources: { Limits: { MemoryBytes: 8 * 1024 ** 3 } } }), constraints: { memory: { max: 1024 ** 3 } } }, 'PC_DENIED_RESOURCE_LIMIT', 'TaskTemplate.Resources.Limits.MemoryBytes');
  });
});
