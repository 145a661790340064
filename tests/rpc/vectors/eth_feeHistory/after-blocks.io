// base fees, gas used ratios and tip percentiles over three blocks
// stateful: seals blocks; replayed from genesis between evm_snapshot and evm_revert
>> {"jsonrpc":"2.0","id":1,"method":"evm_setNextBlockTimestamp","params":[1700000000]}
<< {"jsonrpc":"2.0","id":1,"result":null}
>> [{"jsonrpc":"2.0","id":1,"method":"eth_sendRawTransaction","params":["0x02f874827a6980843b9aca00847735940082520894a0ee7a142d267c1f36714e4a8f75612f20a79720880de0b6b3a764000080c001a0939f5ffbd4bf6d2eb1b326e3f53d798ea27986587ea84763113b3c140e2fc9d8a0528ee240327c4f315c266e23ea8eb34a8531df8379cbddcfae95bc317827f1f0"]},{"jsonrpc":"2.0","id":2,"method":"eth_sendRawTransaction","params":["0x02f874827a6980841dcd6500847735940082520894a0ee7a142d267c1f36714e4a8f75612f20a79720880de0b6b3a764000080c080a08f421cdd25ab78e8986b06992a2eafb373ff0b0e1fe6b8c96e06e035c4b10403a0422cf13879b41147c8df152c1a2cdf8536e82ad0f029c363912ab544c0ca2f35"]},{"jsonrpc":"2.0","id":3,"method":"eth_sendRawTransaction","params":["0xf86d80847735940082520894a0ee7a142d267c1f36714e4a8f75612f20a79720880de0b6b3a76400008082f4f6a02a358cbaaa75568ada50fffb0a5f31ae9ff8cc3d8364c1a433bf86c64de99bbaa013192d04370258256b28b7c260df2625b6e3c0f6c30849a4dafc334c0df4d78f"]}]
<< [{"jsonrpc":"2.0","id":1,"result":"0x147f4a95a7e50e370c39652be961c01f1ff4905e9d92726b1af16c2959d29962"},{"jsonrpc":"2.0","id":2,"result":"0x3f775c679d221b48abeaef960130faee22fdff41619d374bc3e994ef55afe5b9"},{"jsonrpc":"2.0","id":3,"result":"0x3ff411beac04c1a02c62bf3137e0371e70c7bedbd08bf84105974e1c88709137"}]
>> {"jsonrpc":"2.0","id":2,"method":"evm_setNextBlockTimestamp","params":[1700000012]}
<< {"jsonrpc":"2.0","id":2,"result":null}
>> {"jsonrpc":"2.0","id":3,"method":"evm_mine"}
<< {"jsonrpc":"2.0","id":3,"result":"0x0"}
>> {"jsonrpc":"2.0","id":4,"method":"eth_feeHistory","params":["0x4","latest",[0,50,100]]}
<< {"jsonrpc":"2.0","id":4,"result":{"oldestBlock":"0x0","baseFeePerGas":["0x3b9aca00","0x342770c0","0x2da98517","0x27f45475"],"gasUsedRatio":[0.0,0.0021,0.0],"reward":[["0x0","0x0","0x0"],["0x1dcd6500","0x3b9aca00","0x430e2340"],["0x0","0x0","0x0"]]}}
