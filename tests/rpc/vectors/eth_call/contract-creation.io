// no `to`: contract creation is not supported (-32003)
>> {"jsonrpc":"2.0","id":1,"method":"eth_call","params":[{"from":"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266","data":"0x6000"}]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32003,"message":"ContractCreationNotSupported: contract creation is not supported: this chain runs no EVM bytecode"}}
